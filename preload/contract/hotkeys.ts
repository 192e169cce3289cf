// Keys the cluster grid keeps for its own actions; a class hotkey may be any other single printable key.
// One list for the renderer (which binds them) and the services (which refuse them as class hotkeys).
export const GRID_RESERVED_KEYS: readonly string[] = [
  ' ', // toggle the image under the cursor
  '?', // help
  '[', // previous cluster
  ']', // next cluster
  '+', // larger thumbnails
  '-', // smaller thumbnails
  '=', // larger thumbnails (the unshifted '+')
  'a', // accept the selection as shown (A with Shift: accept the rest of the cluster)
  'h', // hide / show images a person already labelled
  'l', // more like these (nearest neighbours of the selection)
  'm', // move the selection to a class...
  'o', // mark the selection as outliers
  's', // sort by confidence / doubt
];

/** Hotkeys new classes get by default, in order, while one is free. */
export const DEFAULT_CLASS_HOTKEYS: readonly string[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];

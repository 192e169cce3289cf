// Errors caused by what the user asked for (a bad k, a missing backbone), as opposed to bugs: the CLI
// and the services show their message as is.
import { InputError } from '../../base/errors.ts';

export class ClusteringInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ClusteringInputError';
  }
}

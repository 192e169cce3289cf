import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createBridge } from './lib/bridge/index.ts';
import { AppState } from './lib/state/app.svelte.ts';
import { appContext } from './lib/state/context.ts';

const target = document.getElementById('app')!;
const started = await createBridge();
if (started.ok) {
  const app = new AppState(started.bridge);
  mount(App, { target, context: appContext(app) });
  void app.init();
} else {
  // No bridge, no app: say why, plainly (no token, a restarted server, nothing listening).
  const box = document.createElement('div');
  box.setAttribute('role', 'alert');
  box.dataset.testid = 'bridge-problem';
  box.style.cssText = 'margin: 80px auto; max-width: 560px; text-align: center; line-height: 1.5';
  const title = document.createElement('h2');
  title.textContent = started.title;
  const text = document.createElement('p');
  text.textContent = started.message;
  box.append(title, text);
  target.replaceChildren(box);
}

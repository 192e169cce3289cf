import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createBridge } from './lib/bridge/index.ts';
import { AppState } from './lib/state/app.svelte.ts';
import { appContext } from './lib/state/context.ts';

const app = new AppState(createBridge());
mount(App, { target: document.getElementById('app')!, context: appContext(app) });
void app.init();

import { mount } from 'svelte';
import App from './app/App.svelte';
import './app/theme.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element to mount the dashboard in');
mount(App, { target });

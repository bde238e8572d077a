import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionGate } from './app/SessionGate.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <SessionGate />
  </StrictMode>,
);

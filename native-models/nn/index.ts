export * from './layers.js';
export * from './attention.js';
export * from './losses.js';

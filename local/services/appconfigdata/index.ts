export * from './store';
export * from './service';
export * from './featureFlags';

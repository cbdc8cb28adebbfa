export * from './workspace-file';
export * from './define-plugin';
export * from './errors';
export * from './exactly-one';
export * from './plugin';
export * from './tokens';
export * from './tools';
export * from './workspace-files';

export * from './file-type';
export * from './inspect';
export * from './textract-limits';

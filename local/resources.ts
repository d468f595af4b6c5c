/** The local stack's resource names (what CloudFormation names on AWS), in a module of their own so light commands need not load the emulators. */
export const LOCAL_BUCKET = 'doctrain-local';
export const LOCAL_TABLE = 'doctrain-local-runs';
export const LOCAL_ACCOUNT = '000000000000';

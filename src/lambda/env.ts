/** Environment lookups for handlers: a missing variable is a deployment mistake and says which one. */
export const requireEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set; it is set by serverless.yml for each function`);
  }
  return value;
};

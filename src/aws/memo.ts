/** One value per process, built on first use (the AWS clients: module scope in the handlers). */
export const memo = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

/**
 * aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22). On Node 20 every Task would fail
 * with a TypeError that a Catch then hides, so install the standard behaviour when it is missing.
 */
interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
}

const promiseConstructor = Promise as unknown as WithResolvers;
promiseConstructor.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

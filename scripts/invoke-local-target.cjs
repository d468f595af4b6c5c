// @ts-check
/**
 * A local Serverless plugin (serverless.yml `plugins`) for `sls invoke local` against the local AWS
 * (README, "Local walkthrough"; docs/LOCAL.md):
 *  - without `--param="target=local"` the functions' environment holds the stack's CloudFormation
 *    references (Ref, Fn::GetAtt, Fn::Join), which osls cannot resolve offline: it used to fail with
 *    `Unsupported environment variable format: { 'Fn::Join': ... }`. This stops first, naming the fix.
 *  - the AWS SDK's NodeVersionSupportWarning (9 lines on Node 20, from osls' own clients and the
 *    handler's) is turned off as the doctrain CLI and the npm scripts turn it off, unless the shell set
 *    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED itself. Lambda's runtime (Node 22) never prints it.
 */
const SDK_WARNING = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** Is `value` a CloudFormation intrinsic (`{ Ref: … }`, `{ 'Fn::…': … }`) rather than a plain value? @param {unknown} value */
const isIntrinsic = (value) =>
  value !== null && typeof value === 'object' && Object.keys(value).some((key) => key === 'Ref' || key.startsWith('Fn::'));

/**
 * @typedef {{
 *   service: { provider: { environment?: Record<string, unknown> } },
 *   classes: { Error: new (message: string, code: string) => Error },
 *   processedInput?: { commands?: string[] },
 * }} Serverless
 */

class InvokeLocalTarget {
  /**
   * @param {Serverless} serverless
   */
  constructor(serverless) {
    process.env[SDK_WARNING] ??= 'true';
    this.hooks = {
      // Before osls' own before:invoke:local:loadEnvVars (core hooks of an event run first, then the
      // service's plugins'): `initialize` runs ahead of every command's lifecycle.
      initialize: () => {
        if (!isInvokeLocal(serverless)) return;
        const unresolved = Object.entries(serverless.service.provider.environment ?? {})
          .filter(([, value]) => isIntrinsic(value))
          .map(([name]) => name);
        if (unresolved.length === 0) return;
        throw new serverless.classes.Error(
          `sls invoke local cannot resolve ${unresolved.join(', ')} (CloudFormation references of the deployed stack): add --param="target=local" ` +
            'to take them from the environment of the local AWS (`set -a; . .doctrain/local/local.env; set +a` after `npm run local:up`); see README.md, "Local walkthrough"',
          'DOCTRAIN_INVOKE_LOCAL_NEEDS_TARGET',
        );
      },
    };
  }
}

/** Is this `sls invoke local`? @param {Serverless} serverless */
const isInvokeLocal = (serverless) => {
  const commands = serverless.processedInput?.commands ?? [];
  return commands[0] === 'invoke' && commands[1] === 'local';
};

module.exports = InvokeLocalTarget;

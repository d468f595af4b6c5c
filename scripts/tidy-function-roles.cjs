// @ts-check
/**
 * A local Serverless plugin (serverless.yml `plugins`) that tidies what serverless-iam-roles-per-function
 * leaves in the template (no plugin we know of does either; each is one scan of the template):
 *  - the framework still compiles its shared default role (IamRoleLambdaExecution, logs on every
 *    function's log group); once no resource refers to it, it is dropped: the stack holds no unused role;
 *  - each function gets a DependsOn on its own role beside `Role: Fn::GetAtt` to it, which cfn-lint
 *    reports (W3005, the GetAtt already orders them); that DependsOn entry is removed.
 */
const DEFAULT_ROLE = 'IamRoleLambdaExecution';

/** Does `value` (a CloudFormation fragment) refer to the logical id by Ref, Fn::GetAtt or DependsOn? */
const refersTo = (value, logicalId) => {
  if (Array.isArray(value)) return value.some((item) => refersTo(item, logicalId));
  if (value === null || typeof value !== 'object') return value === logicalId;
  return Object.entries(value).some(([key, inner]) => {
    if (key === 'Ref') return inner === logicalId;
    if (key === 'Fn::GetAtt') return Array.isArray(inner) ? inner[0] === logicalId : String(inner).split('.')[0] === logicalId;
    if (key === 'DependsOn') return Array.isArray(inner) ? inner.includes(logicalId) : inner === logicalId;
    if (key === 'Fn::Sub') return JSON.stringify(inner).includes(`\${${logicalId}`) || refersTo(inner, logicalId);
    return refersTo(inner, logicalId);
  });
};

/** A Lambda function's DependsOn without the role its `Role` already names by Fn::GetAtt. */
const dropDependsOnOwnRole = (resource) => {
  if (resource?.Type !== 'AWS::Lambda::Function' || resource.DependsOn === undefined) return;
  const role = resource.Properties?.Role?.['Fn::GetAtt']?.[0];
  if (typeof role !== 'string') return;
  const dependsOn = (Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn]).filter((id) => id !== role);
  if (dependsOn.length === 0) delete resource.DependsOn;
  else resource.DependsOn = dependsOn;
};

class TidyFunctionRoles {
  /** @param {{ service: { provider: { compiledCloudFormationTemplate: { Resources: Record<string, any> } } } }} serverless */
  constructor(serverless) {
    this.hooks = {
      'before:package:finalize': () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        for (const resource of Object.values(resources)) dropDependsOnOwnRole(resource);
        if (!(DEFAULT_ROLE in resources)) return;
        const used = Object.entries(resources).some(([logicalId, resource]) => logicalId !== DEFAULT_ROLE && refersTo(resource, DEFAULT_ROLE));
        if (!used) delete resources[DEFAULT_ROLE];
      },
    };
  }
}

module.exports = TidyFunctionRoles;

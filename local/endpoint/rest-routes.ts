/**
 * The REST operations of the REST-JSON services on the endpoint (AppConfig, Lambda), as a table
 * `[operation, method, path]` taken from the services' API models (the AppConfig table from
 * @aws-sdk/client-appconfig's schemas, the Lambda table from botocore's lambda/2015-03-31/service-2.json),
 * so that a request is named by the operation an SDK or the AWS CLI meant, whether the local cloud
 * implements it or not: an unimplemented one answers UnknownOperationException naming it.
 *
 * `{Name}` matches one path segment (URL-decoded); a `?k=v` suffix must be in the query string too.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type RestService = 'appconfig' | 'lambda';

/** A REST request, once its operation is known. */
export interface RestRequest {
  operation: string;
  /** The path's labels (ApplicationId, FunctionName, ...), decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

type OperationRow = readonly [operation: string, method: string, path: string];

export const APPCONFIG_OPERATIONS: readonly OperationRow[] = [
  ['CreateApplication', 'POST', '/applications'],
  ['CreateConfigurationProfile', 'POST', '/applications/{ApplicationId}/configurationprofiles'],
  ['CreateDeploymentStrategy', 'POST', '/deploymentstrategies'],
  ['CreateEnvironment', 'POST', '/applications/{ApplicationId}/environments'],
  ['CreateExperimentDefinition', 'POST', '/applications/{ApplicationIdentifier}/experimentdefinitions'],
  ['CreateExtension', 'POST', '/extensions'],
  ['CreateExtensionAssociation', 'POST', '/extensionassociations'],
  ['CreateHostedConfigurationVersion', 'POST', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}/hostedconfigurationversions'],
  ['DeleteApplication', 'DELETE', '/applications/{ApplicationId}'],
  ['DeleteConfigurationProfile', 'DELETE', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}'],
  ['DeleteDeploymentStrategy', 'DELETE', '/deployementstrategies/{DeploymentStrategyId}'],
  ['DeleteEnvironment', 'DELETE', '/applications/{ApplicationId}/environments/{EnvironmentId}'],
  ['DeleteExperimentDefinition', 'DELETE', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}'],
  ['DeleteExtension', 'DELETE', '/extensions/{ExtensionIdentifier}'],
  ['DeleteExtensionAssociation', 'DELETE', '/extensionassociations/{ExtensionAssociationId}'],
  ['DeleteHostedConfigurationVersion', 'DELETE', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}/hostedconfigurationversions/{VersionNumber}'],
  ['GetAccountSettings', 'GET', '/settings'],
  ['GetApplication', 'GET', '/applications/{ApplicationId}'],
  ['GetConfiguration', 'GET', '/applications/{Application}/environments/{Environment}/configurations/{Configuration}'],
  ['GetConfigurationProfile', 'GET', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}'],
  ['GetDeployment', 'GET', '/applications/{ApplicationId}/environments/{EnvironmentId}/deployments/{DeploymentNumber}'],
  ['GetDeploymentStrategy', 'GET', '/deploymentstrategies/{DeploymentStrategyId}'],
  ['GetEnvironment', 'GET', '/applications/{ApplicationId}/environments/{EnvironmentId}'],
  ['GetExperimentDefinition', 'GET', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}'],
  ['GetExperimentRun', 'GET', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}/experimentruns/{Run}'],
  ['GetExtension', 'GET', '/extensions/{ExtensionIdentifier}'],
  ['GetExtensionAssociation', 'GET', '/extensionassociations/{ExtensionAssociationId}'],
  ['GetHostedConfigurationVersion', 'GET', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}/hostedconfigurationversions/{VersionNumber}'],
  ['ListApplications', 'GET', '/applications'],
  ['ListConfigurationProfiles', 'GET', '/applications/{ApplicationId}/configurationprofiles'],
  ['ListDeployments', 'GET', '/applications/{ApplicationId}/environments/{EnvironmentId}/deployments'],
  ['ListDeploymentStrategies', 'GET', '/deploymentstrategies'],
  ['ListEnvironments', 'GET', '/applications/{ApplicationId}/environments'],
  ['ListExperimentDefinitions', 'GET', '/experimentdefinitions'],
  ['ListExperimentRunEvents', 'GET', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}/experimentruns/{Run}/events'],
  ['ListExperimentRuns', 'GET', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}/experimentruns'],
  ['ListExtensionAssociations', 'GET', '/extensionassociations'],
  ['ListExtensions', 'GET', '/extensions'],
  ['ListHostedConfigurationVersions', 'GET', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}/hostedconfigurationversions'],
  ['ListTagsForResource', 'GET', '/tags/{ResourceArn}'],
  ['StartDeployment', 'POST', '/applications/{ApplicationId}/environments/{EnvironmentId}/deployments'],
  ['StartExperimentRun', 'POST', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}/experimentruns'],
  ['StopDeployment', 'DELETE', '/applications/{ApplicationId}/environments/{EnvironmentId}/deployments/{DeploymentNumber}'],
  ['StopExperimentRun', 'PATCH', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}/experimentruns/{Run}/stop'],
  ['TagResource', 'POST', '/tags/{ResourceArn}'],
  ['UntagResource', 'DELETE', '/tags/{ResourceArn}'],
  ['UpdateAccountSettings', 'PATCH', '/settings'],
  ['UpdateApplication', 'PATCH', '/applications/{ApplicationId}'],
  ['UpdateConfigurationProfile', 'PATCH', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}'],
  ['UpdateDeploymentStrategy', 'PATCH', '/deploymentstrategies/{DeploymentStrategyId}'],
  ['UpdateEnvironment', 'PATCH', '/applications/{ApplicationId}/environments/{EnvironmentId}'],
  ['UpdateExperimentDefinition', 'PATCH', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}'],
  ['UpdateExperimentRun', 'PATCH', '/applications/{ApplicationIdentifier}/experimentdefinitions/{ExperimentDefinitionIdentifier}/experimentruns/{Run}/update'],
  ['UpdateExtension', 'PATCH', '/extensions/{ExtensionIdentifier}'],
  ['UpdateExtensionAssociation', 'PATCH', '/extensionassociations/{ExtensionAssociationId}'],
  ['ValidateConfiguration', 'POST', '/applications/{ApplicationId}/configurationprofiles/{ConfigurationProfileId}/validators'],
];

export const LAMBDA_OPERATIONS: readonly OperationRow[] = [
  ['AddLayerVersionPermission', 'POST', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy'],
  ['AddPermission', 'POST', '/2015-03-31/functions/{FunctionName}/policy'],
  ['CheckpointDurableExecution', 'POST', '/2025-12-01/durable-executions/{DurableExecutionArn}/checkpoint'],
  ['CreateAlias', 'POST', '/2015-03-31/functions/{FunctionName}/aliases'],
  ['CreateCapacityProvider', 'POST', '/2025-11-30/capacity-providers'],
  ['CreateCodeSigningConfig', 'POST', '/2020-04-22/code-signing-configs'],
  ['CreateEventSourceMapping', 'POST', '/2015-03-31/event-source-mappings'],
  ['CreateFunction', 'POST', '/2015-03-31/functions'],
  ['CreateFunctionUrlConfig', 'POST', '/2021-10-31/functions/{FunctionName}/url'],
  ['DeleteAlias', 'DELETE', '/2015-03-31/functions/{FunctionName}/aliases/{Name}'],
  ['DeleteCapacityProvider', 'DELETE', '/2025-11-30/capacity-providers/{CapacityProviderName}'],
  ['DeleteCodeSigningConfig', 'DELETE', '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}'],
  ['DeleteEventSourceMapping', 'DELETE', '/2015-03-31/event-source-mappings/{UUID}'],
  ['DeleteFunction', 'DELETE', '/2015-03-31/functions/{FunctionName}'],
  ['DeleteFunctionCodeSigningConfig', 'DELETE', '/2020-06-30/functions/{FunctionName}/code-signing-config'],
  ['DeleteFunctionConcurrency', 'DELETE', '/2017-10-31/functions/{FunctionName}/concurrency'],
  ['DeleteFunctionEventInvokeConfig', 'DELETE', '/2019-09-25/functions/{FunctionName}/event-invoke-config'],
  ['DeleteFunctionUrlConfig', 'DELETE', '/2021-10-31/functions/{FunctionName}/url'],
  ['DeleteLayerVersion', 'DELETE', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}'],
  ['DeleteProvisionedConcurrencyConfig', 'DELETE', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency'],
  ['GetAccountSettings', 'GET', '/2016-08-19/account-settings'],
  ['GetAlias', 'GET', '/2015-03-31/functions/{FunctionName}/aliases/{Name}'],
  ['GetCapacityProvider', 'GET', '/2025-11-30/capacity-providers/{CapacityProviderName}'],
  ['GetCodeSigningConfig', 'GET', '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}'],
  ['GetDurableExecution', 'GET', '/2025-12-01/durable-executions/{DurableExecutionArn}'],
  ['GetDurableExecutionHistory', 'GET', '/2025-12-01/durable-executions/{DurableExecutionArn}/history'],
  ['GetDurableExecutionState', 'GET', '/2025-12-01/durable-executions/{DurableExecutionArn}/state'],
  ['GetEventSourceMapping', 'GET', '/2015-03-31/event-source-mappings/{UUID}'],
  ['GetFunction', 'GET', '/2015-03-31/functions/{FunctionName}'],
  ['GetFunctionCodeSigningConfig', 'GET', '/2020-06-30/functions/{FunctionName}/code-signing-config'],
  ['GetFunctionConcurrency', 'GET', '/2019-09-30/functions/{FunctionName}/concurrency'],
  ['GetFunctionConfiguration', 'GET', '/2015-03-31/functions/{FunctionName}/configuration'],
  ['GetFunctionEventInvokeConfig', 'GET', '/2019-09-25/functions/{FunctionName}/event-invoke-config'],
  ['GetFunctionRecursionConfig', 'GET', '/2024-08-31/functions/{FunctionName}/recursion-config'],
  ['GetFunctionScalingConfig', 'GET', '/2025-11-30/functions/{FunctionName}/function-scaling-config'],
  ['GetFunctionUrlConfig', 'GET', '/2021-10-31/functions/{FunctionName}/url'],
  ['GetLayerVersion', 'GET', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}'],
  ['GetLayerVersionByArn', 'GET', '/2018-10-31/layers?find=LayerVersion'],
  ['GetLayerVersionPolicy', 'GET', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy'],
  ['GetPolicy', 'GET', '/2015-03-31/functions/{FunctionName}/policy'],
  ['GetProvisionedConcurrencyConfig', 'GET', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency'],
  ['GetRuntimeManagementConfig', 'GET', '/2021-07-20/functions/{FunctionName}/runtime-management-config'],
  ['Invoke', 'POST', '/2015-03-31/functions/{FunctionName}/invocations'],
  ['InvokeAsync', 'POST', '/2014-11-13/functions/{FunctionName}/invoke-async'],
  ['InvokeWithResponseStream', 'POST', '/2021-11-15/functions/{FunctionName}/response-streaming-invocations'],
  ['ListAliases', 'GET', '/2015-03-31/functions/{FunctionName}/aliases'],
  ['ListCapacityProviders', 'GET', '/2025-11-30/capacity-providers'],
  ['ListCodeSigningConfigs', 'GET', '/2020-04-22/code-signing-configs'],
  ['ListDurableExecutionsByFunction', 'GET', '/2025-12-01/functions/{FunctionName}/durable-executions'],
  ['ListEventSourceMappings', 'GET', '/2015-03-31/event-source-mappings'],
  ['ListFunctionEventInvokeConfigs', 'GET', '/2019-09-25/functions/{FunctionName}/event-invoke-config/list'],
  ['ListFunctionUrlConfigs', 'GET', '/2021-10-31/functions/{FunctionName}/urls'],
  ['ListFunctionVersionsByCapacityProvider', 'GET', '/2025-11-30/capacity-providers/{CapacityProviderName}/function-versions'],
  ['ListFunctions', 'GET', '/2015-03-31/functions'],
  ['ListFunctionsByCodeSigningConfig', 'GET', '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}/functions'],
  ['ListLayerVersions', 'GET', '/2018-10-31/layers/{LayerName}/versions'],
  ['ListLayers', 'GET', '/2018-10-31/layers'],
  ['ListProvisionedConcurrencyConfigs', 'GET', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency?List=ALL'],
  ['ListTags', 'GET', '/2017-03-31/tags/{Resource}'],
  ['ListVersionsByFunction', 'GET', '/2015-03-31/functions/{FunctionName}/versions'],
  ['PublishLayerVersion', 'POST', '/2018-10-31/layers/{LayerName}/versions'],
  ['PublishVersion', 'POST', '/2015-03-31/functions/{FunctionName}/versions'],
  ['PutFunctionCodeSigningConfig', 'PUT', '/2020-06-30/functions/{FunctionName}/code-signing-config'],
  ['PutFunctionConcurrency', 'PUT', '/2017-10-31/functions/{FunctionName}/concurrency'],
  ['PutFunctionEventInvokeConfig', 'PUT', '/2019-09-25/functions/{FunctionName}/event-invoke-config'],
  ['PutFunctionRecursionConfig', 'PUT', '/2024-08-31/functions/{FunctionName}/recursion-config'],
  ['PutFunctionScalingConfig', 'PUT', '/2025-11-30/functions/{FunctionName}/function-scaling-config'],
  ['PutProvisionedConcurrencyConfig', 'PUT', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency'],
  ['PutRuntimeManagementConfig', 'PUT', '/2021-07-20/functions/{FunctionName}/runtime-management-config'],
  ['RemoveLayerVersionPermission', 'DELETE', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}'],
  ['RemovePermission', 'DELETE', '/2015-03-31/functions/{FunctionName}/policy/{StatementId}'],
  ['SendDurableExecutionCallbackFailure', 'POST', '/2025-12-01/durable-execution-callbacks/{CallbackId}/fail'],
  ['SendDurableExecutionCallbackHeartbeat', 'POST', '/2025-12-01/durable-execution-callbacks/{CallbackId}/heartbeat'],
  ['SendDurableExecutionCallbackSuccess', 'POST', '/2025-12-01/durable-execution-callbacks/{CallbackId}/succeed'],
  ['StopDurableExecution', 'POST', '/2025-12-01/durable-executions/{DurableExecutionArn}/stop'],
  ['TagResource', 'POST', '/2017-03-31/tags/{Resource}'],
  ['UntagResource', 'DELETE', '/2017-03-31/tags/{Resource}'],
  ['UpdateAlias', 'PUT', '/2015-03-31/functions/{FunctionName}/aliases/{Name}'],
  ['UpdateCapacityProvider', 'PUT', '/2025-11-30/capacity-providers/{CapacityProviderName}'],
  ['UpdateCodeSigningConfig', 'PUT', '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}'],
  ['UpdateEventSourceMapping', 'PUT', '/2015-03-31/event-source-mappings/{UUID}'],
  ['UpdateFunctionCode', 'PUT', '/2015-03-31/functions/{FunctionName}/code'],
  ['UpdateFunctionConfiguration', 'PUT', '/2015-03-31/functions/{FunctionName}/configuration'],
  ['UpdateFunctionEventInvokeConfig', 'POST', '/2019-09-25/functions/{FunctionName}/event-invoke-config'],
  ['UpdateFunctionUrlConfig', 'PUT', '/2021-10-31/functions/{FunctionName}/url'],
];

export interface RestMatch {
  service: RestService;
  operation: string;
  /** The path's `{labels}`, URL-decoded. */
  params: Record<string, string>;
}

interface CompiledRoute {
  service: RestService;
  operation: string;
  method: string;
  regex: RegExp;
  labels: string[];
  query: [string, string][];
}

function compile(service: RestService, rows: readonly OperationRow[]): CompiledRoute[] {
  return rows.map(([operation, method, path]) => {
    const [pathPart, queryPart] = path.split('?');
    const labels: string[] = [];
    const source = pathPart
      .split('/')
      .map((segment) =>
        segment.replace(/\{(\w+)\}|[^{}]+/g, (text, label?: string) => {
          if (label) {
            labels.push(label);
            return '([^/]+)';
          }
          return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }),
      )
      .join('/');
    const query = queryPart ? [...new URLSearchParams(queryPart)] : [];
    return { service, operation, method, regex: new RegExp(`^${source}/?$`), labels, query };
  });
}

// Routes with a required query parameter first: they share their path with another operation.
const ROUTES: CompiledRoute[] = [...compile('appconfig', APPCONFIG_OPERATIONS), ...compile('lambda', LAMBDA_OPERATIONS)].sort(
  (a, b) => b.query.length - a.query.length,
);

/** The operation a REST request means, or undefined when no REST-JSON service here has that method and path. */
export function matchRestOperation(method: string, url: URL): RestMatch | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.regex.exec(url.pathname);
    if (!m) continue;
    if (route.query.some(([k, v]) => url.searchParams.get(k) !== v)) continue;
    const params: Record<string, string> = {};
    route.labels.forEach((label, i) => {
      params[label] = safeDecode(m[i + 1]);
    });
    return { service: route.service, operation: route.operation, params };
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

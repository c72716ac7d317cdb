/**
 * CloudFormation's DescribeStacks on the endpoint (the AWS query protocol: form-encoded `Action=DescribeStacks&
 * Version=2010-05-15`, XML answers), for the stack the local cloud runs: what `aws cloudformation describe-stacks`
 * and `@aws-sdk/client-cloudformation` read the stack outputs with (docs/operations.md's `out` helper).
 * Requests are told from SQS's query protocol by their Version. Any other CloudFormation action answers
 * InvalidAction naming it, as the query protocol does; an unknown stack, AWS's
 * `ValidationError: Stack with id <name> does not exist`.
 */
import { xmlEscape } from '../services/errors';
import type { RestResponse } from './rest-routes';

export const CLOUDFORMATION_VERSION = '2010-05-15';
const XMLNS = `http://cloudformation.amazonaws.com/doc/${CLOUDFORMATION_VERSION}/`;

export interface StackDescription {
  StackName: string;
  StackId: string;
  CreationTime: Date;
  StackStatus: string;
  Description?: string;
  Outputs: { OutputKey: string; OutputValue: string; Description?: string }[];
}

/** The stacks the endpoint describes (the local cloud's one). */
export interface CloudFormationBackend {
  stacks(): StackDescription[];
}

/** A query-protocol request meant for CloudFormation (SQS's say Version=2012-11-05). */
export function isCloudFormationQuery(params: URLSearchParams): boolean {
  return params.get('Version') === CLOUDFORMATION_VERSION;
}

export function handleCloudFormationQuery(backend: CloudFormationBackend | undefined, params: URLSearchParams, requestId: string): RestResponse & { action: string; errorCode?: string } {
  const action = params.get('Action') ?? '';
  if (action !== 'DescribeStacks') {
    return { action, ...error(400, 'InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`, requestId) };
  }
  const stacks = backend?.stacks() ?? [];
  const wanted = params.get('StackName');
  const chosen = wanted ? stacks.filter((s) => s.StackName === wanted || s.StackId === wanted) : stacks;
  if (wanted && chosen.length === 0) return { action, ...error(400, 'ValidationError', `Stack with id ${wanted} does not exist`, requestId) };
  const members = chosen.map((s) => `<member>${stackXml(s)}</member>`).join('');
  const body =
    `<DescribeStacksResponse xmlns="${XMLNS}"><DescribeStacksResult><Stacks>${members}</Stacks></DescribeStacksResult>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`;
  return { action, status: 200, headers: { 'content-type': 'text/xml' }, body };
}

function stackXml(s: StackDescription): string {
  const outputs = s.Outputs.map((o) => `<member>${el('OutputKey', o.OutputKey)}${el('OutputValue', o.OutputValue)}${el('Description', o.Description)}</member>`).join('');
  return (
    el('StackId', s.StackId) +
    el('StackName', s.StackName) +
    el('Description', s.Description) +
    el('CreationTime', s.CreationTime.toISOString()) +
    el('StackStatus', s.StackStatus) +
    `<Outputs>${outputs}</Outputs>` +
    '<Parameters/><Tags/><Capabilities/><DisableRollback>false</DisableRollback>'
  );
}

function el(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(value)}</${name}>`;
}

function error(status: number, code: string, message: string, requestId: string): RestResponse & { errorCode: string } {
  const body = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml' }, body, errorCode: code };
}

/**
 * The README's AWS CLI block, run as printed (only the endpoint's port changed) with the AWS CLI installed here
 * (v1), in an environment holding nothing but PATH: the region, the endpoint and the credentials all come from
 * the block itself.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../cdk/paths';
import { LocalCloud, startTestCloud } from './helpers';

jest.setTimeout(120_000);

/** The ```sh block after "**The AWS SDK and CLI**" in README.md. */
function readmeCliBlock(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**The AWS SDK and CLI**'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('No ```sh block after "The AWS SDK and CLI" in README.md');
  return match[1];
}

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud?.stop());

test('every command of the README\'s AWS CLI block works with AWS CLI v1 against the local cloud', async () => {
  const block = readmeCliBlock();
  expect(block).toContain('http://127.0.0.1:4566');
  const script = `set -e\n${block.split('http://127.0.0.1:4566').join(cloud.endpointUrl)}`;
  const { stdout: version } = await promisify(execFile)('aws', ['--version']);
  expect(version).toMatch(/^aws-cli\/1\./);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-cli-home-'));
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: { PATH: process.env.PATH!, HOME: home } }).finally(() =>
    fs.rmSync(home, { recursive: true, force: true }),
  );
  // dynamodb scan, stepfunctions list-state-machines, then sqs receive-message (empty queue: no output).
  const answers = stdout.trim().split(/\n(?=\{)/).map((chunk) => JSON.parse(chunk));
  expect(answers[0]).toMatchObject({ Items: [], Count: 0 });
  expect(answers[1].stateMachines.map((m: any) => m.name)).toEqual(expect.arrayContaining([expect.stringContaining('Resourceorders')]));
  expect(block).toMatch(/--endpoint-url "\$AWS_ENDPOINT_URL"/);
});

import * as path from 'node:path';

/** Where the app's non-code artifacts live; the local cloud and the tests read the same files. */
export const ROOT = path.resolve(__dirname, '..');
export const STATE_MACHINE_FILE = path.join(ROOT, 'statemachines', 'crud-resource.asl.json');
export const CIRCUIT_CONTROL_FILE = path.join(ROOT, 'statemachines', 'circuit-control.asl.json');
export const VTL_DIR = path.join(__dirname, 'vtl');
export const LAMBDAS_DIR = path.join(ROOT, 'lambdas');

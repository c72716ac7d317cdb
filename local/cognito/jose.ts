/**
 * jose 6 is ESM-only and this project compiles to CommonJS: Node (≥ 20.19) require()s ES modules, and jest
 * compiles jose to CommonJS (jest.config.js). The types come through an import-mode type import.
 */
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

export type { JWK, JWTPayload, CryptoKey, JSONWebKeySet } from 'jose' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const jose: typeof Jose = require('jose');

// Argument validation for every method of the contract. Whatever a transport receives is untrusted
// JSON: each method has one check (method-checks.ts, built from value-checks.ts) that either returns
// typed params or throws 'invalid-argument'.
import type { MethodName, ParamsOf } from '../../preload/contract/api.ts';
import { ApiError } from './services/errors.ts';
import { validators } from './method-checks.ts';
import { describeValue, type Check } from './value-checks.ts';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(validators, name);
}

/** Checks a method name and its params; throws ApiError ('unknown-method' or 'invalid-argument'). */
export function validateCall<M extends MethodName>(method: M, params: unknown): ParamsOf<M>;
export function validateCall(method: unknown, params: unknown): unknown;
export function validateCall(method: unknown, params: unknown): unknown {
  if (!isMethodName(method)) throw new ApiError('unknown-method', `unknown method ${typeof method === 'string' ? `'${method.slice(0, 80)}'` : describeValue(method)}`);
  return (validators[method] as Check<unknown>)(params, '');
}

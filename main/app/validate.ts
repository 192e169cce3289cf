// Argument validation for every method of the contract. Whatever a transport receives is untrusted
// JSON: each method's params schema (preload/contract/params.ts) either returns typed params or fails,
// and the first issue becomes 'invalid-argument' naming the parameter's path.
import * as v from 'valibot';
import type { MethodName, ParamsOf } from '../../preload/contract/api.ts';
import { describeValue } from '../../preload/contract/checks.ts';
import { PARAM_SCHEMAS } from '../../preload/contract/params.ts';
import { ApiError } from './services/api-errors.ts';

// A method without a schema, a schema for no method, or one whose output is not the method's params
// type, is a compile error here.
type Schemas = { readonly [M in MethodName]: v.GenericSchema<unknown, ParamsOf<M>> };
const schemas: Schemas = PARAM_SCHEMAS;
const noStraySchemas: Exclude<keyof typeof PARAM_SCHEMAS, MethodName> extends never ? true : never = true;
void noStraySchemas;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(schemas, name);
}

/** 'views.weak', 'entries[3].className'; '' for the params themselves. */
function issuePath(issue: v.BaseIssue<unknown>): string {
  let path = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  return path;
}

/** Checks a method name and its params; throws ApiError ('unknown-method' or 'invalid-argument'). */
export function validateCall<M extends MethodName>(method: M, params: unknown): ParamsOf<M>;
export function validateCall(method: unknown, params: unknown): unknown;
export function validateCall(method: unknown, params: unknown): unknown {
  if (!isMethodName(method)) throw new ApiError('unknown-method', `unknown method ${typeof method === 'string' ? `'${method.slice(0, 80)}'` : describeValue(method)}`);
  const result = v.safeParse(schemas[method], params, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new ApiError('invalid-argument', `${issuePath(issue) || 'params'}: ${issue.message}`);
}

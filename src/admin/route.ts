import type { Context } from 'koa';
import { z } from 'zod';
import type { Tenant } from '../accounts/tenants.ts';
import type { Caller } from './caller.ts';
import type { AdminScope } from './scopes.ts';
import type { AdminDeps } from './deps.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** refusals a route documents besides the ones every route has (400 with input, 401, 403) */
export type ErrorStatus = 404 | 409 | 413 | 415 | 429;
export type AnyObject = z.ZodObject<z.ZodRawShape>;

interface Spec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, R extends z.ZodType> {
  method: Method;
  /** OpenAPI style, below /admin/v1, such as /users/{userId} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope: AdminScope;
  params?: P;
  query?: Q;
  body?: B;
  status: 200 | 201 | 202 | 204;
  /** required unless status is 204 */
  response?: R;
  errors?: ErrorStatus[];
}

export interface RouteInput<P, Q, B> {
  ctx: Context;
  deps: AdminDeps;
  caller: Caller;
  params: P;
  query: Q;
  body: B;
}

/** one entry of the route table: what the router validates and the OpenAPI document describes */
export interface AdminRoute extends Spec<AnyObject, AnyObject, z.ZodType, z.ZodType> {
  tenantScoped: boolean;
  handle(input: RouteInput<Record<string, unknown>, Record<string, unknown>, unknown> & { tenant?: Tenant }): Promise<unknown>;
}

type Out<S extends z.ZodType> = z.output<S>;
type Result<R extends z.ZodType> = R extends z.ZodUndefined ? Promise<void> : Promise<z.input<R>>;

/** the schema of a route without parameters: an object with no keys */
// biome-ignore lint/complexity/noBannedTypes: zod's own spelling of an object schema with no keys
type NoParams = z.ZodObject<{}>;

/** a route of the caller's own (such as /tokens) */
export function route<
  P extends AnyObject = NoParams,
  Q extends AnyObject = NoParams,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodUndefined,
>(spec: Spec<P, Q, B, R> & { handle(input: RouteInput<Out<P>, Out<Q>, Out<B>>): Result<R> }): AdminRoute {
  return { ...spec, tenantScoped: false, handle: spec.handle as AdminRoute['handle'] } as AdminRoute;
}

export const tenantParam = z.object({
  tenant: z.string().min(1).max(64).describe("the tenant's name or id; the token must belong to it"),
});

/** a route below /tenants/{tenant}: the router checks the caller may administer the tenant first */
export function tenantRoute<
  P extends AnyObject = NoParams,
  Q extends AnyObject = NoParams,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodUndefined,
>(spec: Spec<P, Q, B, R> & { handle(input: RouteInput<Out<P>, Out<Q>, Out<B>> & { tenant: Tenant }): Result<R> }): AdminRoute {
  const params = spec.params ? tenantParam.extend(spec.params.shape) : tenantParam;
  return {
    ...spec,
    path: `/tenants/{tenant}${spec.path}`,
    params,
    tenantScoped: true,
    handle: spec.handle as AdminRoute['handle'],
  } as AdminRoute;
}

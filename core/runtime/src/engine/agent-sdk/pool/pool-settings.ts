import type { PlatformConfig } from '../../../config/schema';

/** The pool's config with its process cap resolved (set in config, or derived from memory). */
export type PoolSettings = Omit<PlatformConfig['pool'], 'maxProcesses'> & { readonly maxProcesses: number };

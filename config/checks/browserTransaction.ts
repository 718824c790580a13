/**
 * What a browser check's transaction script is: the contract between a script (`script:` in a
 * browser check, e.g. config/transactions/shop-checkout.ts) and the probe that runs it. Types
 * only, so a script's `import type` costs nothing at run time.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { Vendor } from '../schema.ts';

/** What a transaction script's default export receives. */
interface TransactionArgs {
  /** A fresh page in a fresh context (no cookies, no cache). */
  page: Page;
  context: BrowserContext;
  /** Times and names a part of the transaction; its result is fn's. */
  step: <T>(name: string, fn: () => T | Promise<T>) => Promise<T>;
  /** The check's vendor, from the registry. */
  vendor: Vendor;
  /** Aborted when the run's time is up; long loops in a script should stop then. */
  signal: AbortSignal;
}
export type Transaction = (args: TransactionArgs) => Promise<void>;

import { z } from 'zod';
import { commonCheckFields } from './common.ts';

export const browserCheckSchema = z.strictObject({
  ...commonCheckFields,
  kind: z.literal('browser'),
  script: z.string().min(1).describe('Transaction script, relative to the config file.'),
});
export type BrowserCheck = z.infer<typeof browserCheckSchema>;

import { z } from 'zod';
import { commonCheckFields } from './common.ts';

export const dnsCheckSchema = z.strictObject({
  ...commonCheckFields,
  kind: z.literal('dns'),
  query: z.strictObject({
    name: z.string().min(1),
    type: z.string().regex(/^[A-Z0-9]+$/, { message: 'expected a record type like "A" or "SOA"' }).default('A'),
  }),
  nameservers: z
    .array(z.string().min(1))
    .min(1)
    .describe('Authoritative nameservers to query directly: names or addresses, optionally with :port.'),
});
export type DnsCheck = z.infer<typeof dnsCheckSchema>;

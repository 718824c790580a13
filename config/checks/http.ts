import { z } from 'zod';
import { commonCheckFields } from './common.ts';

const status = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, { message: 'expected a status like 200 or a range like "200-299"' }),
]);

export const httpCheckSchema = z.strictObject({
  ...commonCheckFields,
  kind: z.literal('http'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  expect: z
    .strictObject({
      status: z.array(status).min(1).default(['200-399']).describe('Accepted statuses or ranges.'),
    })
    .prefault({}),
});
export type HttpCheck = z.infer<typeof httpCheckSchema>;

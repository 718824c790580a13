import { z } from 'zod';
import { configSchema } from './schema.ts';

/** JSON Schema of the config file as written (durations as strings), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'vendorwatch configuration',
  };
}

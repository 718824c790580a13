import { ConfigError, parseConfig, type ConfigProblem } from '../../config/load.ts';

/** The problems the loader reports for a config text that must be rejected. */
export function configProblems(text: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('config was accepted');
}

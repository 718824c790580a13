import type { CheckResult } from '../../config/result.ts';
import type { Logger } from '../log.ts';

/**
 * What a person starting a probe wants to read: each check's first result, and afterwards only
 * when a check starts or stops failing (not every run, which /metrics and debug logs have). When
 * every check's first result failed DNS resolution, the likelier cause is this host, said once.
 */
export class CheckOutcomeLog {
  /** check → whether its last result was ok */
  private readonly lastOk = new Map<string, boolean>();
  private readonly firstReasons: string[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly checkCount: number,
  ) {}

  note(result: CheckResult): void {
    const was = this.lastOk.get(result.check);
    this.lastOk.set(result.check, result.ok);
    if (was === result.ok) return;
    const fields = {
      check: result.check,
      vendor: result.vendor,
      ok: result.ok,
      reason: result.reason,
      totalMs: result.phases.total === undefined ? undefined : Math.round(result.phases.total * 1000),
      ...(!result.ok && { message: result.message }),
    };
    if (was === undefined) {
      this.logger.info(fields, result.ok ? 'check passed its first run' : 'check failed its first run');
      this.firstReasons.push(result.reason);
      if (this.firstReasons.length === this.checkCount && this.firstReasons.every((r) => r === 'dns')) {
        this.logger.warn({ checks: this.checkCount }, 'every check failed DNS resolution: no network?');
      }
    } else this.logger.info(fields, result.ok ? 'check recovered' : 'check started failing');
  }
}

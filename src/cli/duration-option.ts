import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/duration.js';

/** A commander parser for a positive duration as a Rollout spells it (`500ms`, `1m30s`), in ms. */
export function durationOption(flag: string, examples: string) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0) {
      throw new InvalidArgumentError(`${flag} takes a duration such as ${examples}`);
    }
    return ms;
  };
}

/** The problems, warnings and notes one verify run collects, sorted the same way on every run. */
import { type Problem, type ProblemCode, type Warning, type WarningCode, compareText } from './types.ts';

export type Report = (code: ProblemCode, key: string, message: string) => void;

export class ProblemList {
  readonly #problems: Problem[] = [];
  readonly #warnings: Warning[] = [];
  readonly notes: string[] = [];

  /** Bound, so the parts can take it as a plain callback. */
  readonly report: Report = (code, key, message) => {
    this.#problems.push({ code, key, message });
  };

  readonly warn = (code: WarningCode, key: string, message: string): void => {
    this.#warnings.push({ code, key, message });
  };

  note(text: string): void {
    this.notes.push(text);
  }

  /** Problems by key, code, message: whatever order reads interleaved in, the list is the same. */
  sortedProblems(): Problem[] {
    return this.#problems.sort((a, b) => compareText(a.key, b.key) || compareText(a.code, b.code) || compareText(a.message, b.message));
  }

  sortedWarnings(): Warning[] {
    return this.#warnings.sort((a, b) => compareText(a.key, b.key) || compareText(a.code, b.code));
  }
}

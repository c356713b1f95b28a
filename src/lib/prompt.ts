// Questions to the person at the terminal, behind a small interface. The real one loads
// @inquirer/prompts only when a question is actually asked, and writes to stderr so stdout stays data.
import { CancelledError, UsageError } from './errors.js';
import type { Io } from './io.js';
import { forTerminal } from './untrusted.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

export interface Prompt {
  /** False when there is no terminal: every question then fails with a usage error. */
  readonly interactive: boolean;
  input(message: string, opts?: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
  /** Masked input for secrets. */
  password(message: string, opts?: { validate?: (value: string) => true | string }): Promise<string>;
  confirm(message: string, opts?: { default?: boolean }): Promise<boolean>;
  select<T>(message: string, choices: Choice<T>[], opts?: { default?: T }): Promise<T>;
  checkbox<T>(message: string, choices: Choice<T>[]): Promise<T[]>;
}

/** A prompt for runs without a terminal: any question is a usage error naming what to pass instead. */
export function noPrompt(reason = 'no terminal to ask on'): Prompt {
  const refuse = (message: string): never => {
    throw new UsageError(`${reason}: cannot ask "${message.replace(/[?:]\s*$/, '')}"`);
  };
  return {
    interactive: false,
    input: async (m) => refuse(m),
    password: async (m) => refuse(m),
    confirm: async (m) => refuse(m),
    select: async (m) => refuse(m),
    checkbox: async (m) => refuse(m),
  };
}

type Inquirer = typeof import('@inquirer/prompts');

/** Pure: a question and its choices as the terminal shows them (names and server text escaped, one line each). */
export function terminalQuestion(message: string): string {
  return forTerminal(message);
}

export function terminalChoices<T>(choices: Choice<T>[]): Choice<T>[] {
  return choices.map((c) => ({ ...c, name: forTerminal(c.name), description: c.description === undefined ? undefined : forTerminal(c.description) }));
}

/** The real prompt, on the process's terminal, with Ctrl-C mapped to exit 130. */
export function terminalPrompt(io: Io, signal?: AbortSignal): Prompt {
  if (!io.interactive) return noPrompt();
  let loaded: Promise<Inquirer> | undefined;
  const inquirer = () => (loaded ??= import('@inquirer/prompts'));
  const context = { input: io.stdin, output: io.stderr, signal, clearPromptOnDone: false };
  async function ask<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
        throw new CancelledError('cancelled at the prompt');
      }
      throw err;
    }
  }
  return {
    interactive: true,
    input: (message, opts = {}) =>
      ask(async () => (await inquirer()).input({ message: terminalQuestion(message), default: opts.default, validate: opts.validate }, context)),
    password: (message, opts = {}) => ask(async () => (await inquirer()).password({ message: terminalQuestion(message), mask: '*', validate: opts.validate }, context)),
    confirm: (message, opts = {}) => ask(async () => (await inquirer()).confirm({ message: terminalQuestion(message), default: opts.default ?? false }, context)),
    select: (message, choices, opts = {}) =>
      ask(async () => (await inquirer()).select({ message: terminalQuestion(message), choices: terminalChoices(choices), default: opts.default, pageSize: 15 }, context)),
    checkbox: (message, choices) =>
      ask(async () => (await inquirer()).checkbox({ message: terminalQuestion(message), choices: terminalChoices(choices), pageSize: 15 }, context)),
  };
}

/** Answers from a list, for tests of interactive flows without a terminal. */
export function scriptedPrompt(answers: unknown[]): Prompt & { asked: string[] } {
  const asked: string[] = [];
  const next = async <T>(message: string): Promise<T> => {
    asked.push(message);
    if (answers.length === 0) throw new CancelledError(`no scripted answer for "${message}"`);
    const a = answers.shift();
    if (a instanceof Error) throw a;
    return a as T;
  };
  return {
    asked,
    interactive: true,
    input: (m) => next(m),
    password: (m) => next(m),
    confirm: (m) => next(m),
    select: (m) => next(m),
    checkbox: (m) => next(m),
  };
}

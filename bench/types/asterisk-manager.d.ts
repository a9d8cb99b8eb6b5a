/**
 * Minimal types for asterisk-manager 0.2.0 (CJS, ships none): only what the benchmark touches.
 * Events are plain objects with lower-cased keys; `variable`/`chanvariable` become sub-objects.
 */
declare module 'asterisk-manager' {
  namespace AsteriskManager {
    type Field = string | string[] | Record<string, string> | undefined;

    interface ManagerEvent {
      [key: string]: Field;
    }

    interface Options {
      port: number | string;
      host: string;
      username: string;
      password: string;
      events: boolean;
    }

    type ActionCallback = (error: ManagerEvent | null | undefined, response?: ManagerEvent) => void;

    interface Manager {
      options: Options;
      /** Set once keepConnected() has registered its close listener. */
      reconnect?: () => void;
      on(event: 'managerevent' | 'response', listener: (event: ManagerEvent) => void): void;
      on(event: 'error', listener: (error: Error) => void): void;
      on(event: 'connect' | 'close' | 'end', listener: () => void): void;
      on(event: string, listener: (...args: never[]) => void): void;
      once(event: string, listener: (...args: never[]) => void): void;
      removeAllListeners(event?: string): void;
      listeners(event: string): ((...args: never[]) => void)[];
      connect(port: number | string, host: string, callback?: (error: null) => void): void;
      keepConnected(): void;
      login(callback?: (error?: ManagerEvent) => void): void;
      /** Returns the ActionID it used. */
      action(action: Record<string, unknown>, callback?: ActionCallback): string;
      disconnect(callback?: () => void): void;
      isConnected(): boolean;
    }
  }

  /** Connects at once when given a port, and logs in when given a username. */
  function AsteriskManager(
    port?: number | string,
    host?: string,
    username?: string,
    password?: string,
    events?: boolean,
  ): AsteriskManager.Manager;

  export = AsteriskManager;
}

import { createConnection, type Socket } from 'node:net';

/*
 * A minimal QMP (QEMU Machine Protocol) client over QEMU's unix socket: enough to ask the guest
 * to power off (`system_powerdown`, i.e. the ACPI power button) or to quit QEMU.
 * One command per connection keeps it simple; QMP answers one JSON object per line.
 */

export class QmpError extends Error {
  override readonly name = 'QmpError';
}

/** Connects, negotiates capabilities, runs `command`, and resolves with its `return` value. */
export function qmpCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    let buffered = '';
    let stage: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const timer = setTimeout(
      () => finish(new QmpError(`QMP ${command}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (error: Error | undefined, value?: unknown) => {
      clearTimeout(timer);
      socket?.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    socket = createConnection(socketPath);
    socket.setEncoding('utf8');
    socket.on('error', (error) => finish(new QmpError(`QMP ${command}: ${error.message}`)));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line) continue;
        let message: { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
        try {
          message = JSON.parse(line);
        } catch {
          finish(new QmpError(`QMP ${command}: unparsable answer ${line.slice(0, 200)}`));
          return;
        }
        if (message.event) continue;
        if (message.error) {
          finish(new QmpError(`QMP ${command}: ${message.error.desc ?? 'error'}`));
          return;
        }
        if (stage === 'greeting' && message.QMP) {
          stage = 'capabilities';
          socket?.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
        } else if (stage === 'capabilities' && 'return' in message) {
          stage = 'command';
          socket?.write(`${JSON.stringify({ execute: command })}\n`);
        } else if (stage === 'command' && 'return' in message) {
          finish(undefined, message.return);
          return;
        }
      }
    });
  });
}

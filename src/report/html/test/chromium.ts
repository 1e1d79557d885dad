import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { type OwnedProcess, spawnOwned } from '../../../system/index.js';

/*
 * Headless Debian chromium driven over the DevTools protocol, for the browser tests: open a
 * page, collect console errors, exceptions and every network request, evaluate, screenshot.
 * The protocol (not --screenshot) because only it reports requests and reads canvas pixels.
 */

export interface PageVisit {
  /** Console errors, uncaught exceptions and browser log errors, as text. */
  errors: string[];
  /** URLs the page requested other than the file:// page itself. */
  requests: string[];
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class HeadlessChromium {
  private constructor(
    readonly process: OwnedProcess,
    private readonly socket: WebSocket,
    private readonly profileDir: string,
  ) {
    socket.addEventListener('message', (event) =>
      this.onMessage(JSON.parse(String(event.data)) as CdpMessage),
    );
  }

  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }
  >();
  private listeners: ((message: CdpMessage) => void)[] = [];

  static async launch(): Promise<HeadlessChromium> {
    const profileDir = await mkdtemp(join(tmpdir(), 'hls-swarm-chromium-'));
    const chromium = spawnOwned(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        '--no-first-run',
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        `--user-data-dir=${profileDir}`,
        '--window-size=1280,2400',
        'about:blank',
      ],
      { graceMs: 2000, stdout: 'ignore', stderr: 'pipe' },
    );
    const browserUrl = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () => reject(new Error(`chromium did not open its DevTools port: ${text}`)),
        30_000,
      );
      chromium.subprocess.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = text.match(/DevTools listening on (ws:\/\/\S+)/);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const port = new URL(browserUrl).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const page = targets.find((target) => target.type === 'page');
    if (!page) throw new Error('chromium has no page target');
    const socket = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    const browser = new HeadlessChromium(chromium, socket, profileDir);
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await browser.send(`${domain}.enable`);
    return browser;
  }

  private onMessage(message: CdpMessage): void {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result ?? {});
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Navigates to `url` and waits for its load event; what went wrong meanwhile. */
  async visit(url: string): Promise<PageVisit> {
    const visit: PageVisit = { errors: [], requests: [] };
    const loaded = new Promise<void>((resolve) => {
      this.listeners = [
        (message) => {
          const params = message.params ?? {};
          if (message.method === 'Page.loadEventFired') resolve();
          if (message.method === 'Runtime.exceptionThrown')
            visit.errors.push(JSON.stringify(params.exceptionDetails));
          if (
            message.method === 'Runtime.consoleAPICalled' &&
            ['error', 'assert'].includes(String(params.type))
          )
            visit.errors.push(JSON.stringify(params.args));
          const entry = params.entry as { level?: string; text?: string } | undefined;
          if (message.method === 'Log.entryAdded' && entry?.level === 'error')
            visit.errors.push(String(entry.text));
          const request = params.request as { url?: string } | undefined;
          if (message.method === 'Network.requestWillBeSent' && request?.url && request.url !== url)
            visit.requests.push(request.url);
        },
      ];
    });
    await this.send('Page.navigate', { url });
    await loaded;
    return visit;
  }

  /** Evaluates an expression in the page; its JSON-able value. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    if (reply.exceptionDetails)
      throw new Error(`page evaluation failed: ${JSON.stringify(reply.exceptionDetails)}`);
    return (reply.result as { value: T }).value;
  }

  /** A PNG of the whole page (1280 px wide). */
  async screenshot(): Promise<Buffer> {
    const height = await this.evaluate<number>('document.documentElement.scrollHeight');
    const reply = await this.send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: 1280, height, scale: 1 },
    });
    return Buffer.from(String(reply.data), 'base64');
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.process.stop();
    await rm(this.profileDir, { recursive: true, force: true });
  }
}

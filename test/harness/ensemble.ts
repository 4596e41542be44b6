/**
 * A real ZooKeeper ensemble for tests, run from Debian's `zookeeper` package (3.8) on loopback.
 *
 * Every node gets a fresh zoo.cfg, dynamic config, myid and log4j.properties in a temp dir and runs as
 * `java ... QuorumPeerMain zoo.cfg` with its output in a per-node log file. Readiness is "every running node
 * answers imok to ruok AND exactly one says `Mode: leader` in srvr, the others follower/observer":
 * `ruok` alone says imok even without a quorum.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { freePorts } from './ports.js';
import { LoggedProcess, spawnLogged, tailFile, pollUntil, fourLetterWord } from './process.js';
import { harnessDir, type HarnessDir } from './temp-dir.js';
export { fourLetterWord, pollUntil } from './process.js';

// ---------------------------------------------------------------------------------------------------------------

/** Debian's zookeeper.jar plus what its manifest classpath misses (see shared/facts.md). */
export const ZOOKEEPER_CLASSPATH = [
  '/usr/share/java/zookeeper.jar',
  '/usr/share/java/servlet-api.jar',
  '/usr/share/java/netty-codec.jar',
  '/usr/share/java/netty-resolver.jar',
  '/usr/share/java/netty-transport-native-unix-common.jar',
  '/usr/share/java/slf4j-log4j12.jar',
  '/usr/share/java/log4j-1.2.jar',
];

export type ZkRole = 'participant' | 'observer';
export type ZkMode = 'leader' | 'follower' | 'observer' | 'standalone';

export interface EnsembleOptions {
  /** Number of nodes (default 3); 1 gives a single participant in quorum mode (it reports `Mode: leader`). */
  size?: number;
  /** How many of the nodes (the last ones) are observers (default 0). */
  observers?: number;
  /** `4lw.commands.whitelist` (default '*'). */
  fourLetterWhitelist?: string;
  /** Client ports to use, by node index; missing ones are picked free. */
  clientPorts?: number[];
  /** Parent of the temp dir (default os.tmpdir()). */
  workDir?: string;
  /** Mirror ZooKeeper's output to stderr (default: env ZKOTEL_HARNESS_LOG=1). Logs always go to each node's logFile. */
  log?: boolean;
  /** `reconfigEnabled=true` and `skipACL=yes`, for reconfig tests (default false). */
  reconfig?: boolean;
  /** `tickTime` in ms (default 2000). */
  tickTime?: number;
  /** Extra zoo.cfg lines (key=value), applied last; e.g. TLS or `maxClientCnxns`. */
  extraConfig?: Record<string, string | number | boolean>;
  /** Extra JVM arguments (before -cp). */
  jvmArgs?: string[];
  /** Keep the temp dir on stop() (default: env ZKOTEL_KEEP_TMP=1). */
  keepDir?: boolean;
  /** A secure (Netty, TLS) client port on every node beside the plain one. */
  tls?: EnsembleTls;
  /** The AdminServer on https only (`admin.forceHttps`), with these stores (its key comes from `ssl.quorum.*`). */
  adminTls?: Omit<EnsembleTls, 'clientAuth'>;
}

/** ZooKeeper's `ssl.*` settings for the secure client port; every node uses the same key and trust stores. */
export interface EnsembleTls {
  /** PEM file with the server's private key and certificate (PEM store), or a PKCS12 keystore. */
  keyStore: string;
  /** PEM file with the CA certificates that client certificates must chain to, or a PKCS12 truststore. */
  trustStore: string;
  /** Default 'PEM'. */
  storeType?: 'PEM' | 'PKCS12';
  /** Store password (PKCS12). */
  password?: string;
  /** `ssl.clientAuth`: 'none' = CA-only clients, 'need' = mutual TLS (default 'need', as ZooKeeper). */
  clientAuth?: 'none' | 'want' | 'need';
}

/** zoo.cfg lines for a secure client port with `tls`. */
function tlsConfig(port: number, tls: EnsembleTls): Record<string, string | number> {
  const type = tls.storeType ?? 'PEM';
  return {
    secureClientPort: port,
    secureClientPortAddress: '127.0.0.1',
    serverCnxnFactory: 'org.apache.zookeeper.server.NettyServerCnxnFactory',
    'ssl.keyStore.location': tls.keyStore,
    'ssl.keyStore.type': type,
    'ssl.trustStore.location': tls.trustStore,
    'ssl.trustStore.type': type,
    ...(tls.password !== undefined ? { 'ssl.keyStore.password': tls.password, 'ssl.trustStore.password': tls.password } : {}),
    'ssl.clientAuth': tls.clientAuth ?? 'need',
  };
}

/**
 * zoo.cfg lines for an https-only AdminServer. ZooKeeper 3.8's JettyAdminServer reads its key and trust stores from
 * the quorum TLS settings (QuorumX509Util: `ssl.quorum.keyStore.*`), not from the client port's `ssl.*`; setting
 * them does not turn on quorum TLS (that is `sslQuorum=true`). It asks no client certificate.
 */
function adminTlsConfig(tls: Omit<EnsembleTls, 'clientAuth'>): Record<string, string> {
  const type = tls.storeType ?? 'PEM';
  return {
    'admin.forceHttps': 'true',
    'ssl.quorum.keyStore.location': tls.keyStore,
    'ssl.quorum.keyStore.type': type,
    'ssl.quorum.trustStore.location': tls.trustStore,
    'ssl.quorum.trustStore.type': type,
    ...(tls.password !== undefined ? { 'ssl.quorum.keyStore.password': tls.password, 'ssl.quorum.trustStore.password': tls.password } : {}),
  };
}

export interface EnsembleNode {
  readonly id: number;
  readonly role: ZkRole;
  readonly clientPort: number;
  readonly adminPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** '127.0.0.1:clientPort' */
  readonly endpoint: string;
  /** With the `tls` option: the TLS client port and '127.0.0.1:secureClientPort'. */
  readonly secureClientPort: number | undefined;
  readonly secureEndpoint: string | undefined;
  /** This node's directory (conf/, data/, zookeeper.log). */
  readonly dir: string;
  readonly confDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** The JVM's PID while it runs, undefined when stopped. */
  readonly pid: number | undefined;
}

export interface NodeState {
  id: number;
  running: boolean;
  ruok?: string;
  mode?: string;
  error?: string;
}

export interface Ensemble {
  readonly nodes: EnsembleNode[];
  /** '127.0.0.1:c1,127.0.0.1:c2,...' over all nodes. */
  readonly connectString: string;
  /** The temp dir holding all nodes. */
  readonly dir: string;
  node(id: number): EnsembleNode;
  /** Every running node answers imok AND exactly one running node is leader, the others follower/observer. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** The running node that says `Mode: leader` (throws unless exactly one does). */
  leader(): Promise<EnsembleNode>;
  /** ruok + srvr mode of every node, for diagnostics. */
  states(): Promise<NodeState[]>;
  /** Stops one node with `signal` and waits for it to exit (SIGKILL after 10 s). */
  stopNode(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again with freshly regenerated config files (same ports, same data dir). */
  startNode(id: number): Promise<void>;
  /** SIGSTOP / SIGCONT a node: a frozen server accepts TCP connections but never answers. */
  pauseNode(id: number): void;
  resumeNode(id: number): void;
  /** Sends a four-letter command to a node's client port; resolves with the reply. */
  fourLetter(node: EnsembleNode | number, cmd: string, timeoutMs?: number): Promise<string>;
  /** The last lines of a node's log. */
  logTail(id: number, lines?: number): string;
  /** Stops every node (SIGTERM, SIGKILL after 10 s) and removes the temp dir. */
  stop(): Promise<void>;
}

class ZkNode implements EnsembleNode {
  process: LoggedProcess | undefined;
  /** Set while a stop was asked for, so an exit is not reported as a crash. */
  stopRequested = false;
  readonly endpoint: string;
  readonly confDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly secureEndpoint: string | undefined;

  constructor(
    readonly id: number,
    readonly role: ZkRole,
    readonly clientPort: number,
    readonly adminPort: number,
    readonly quorumPort: number,
    readonly electionPort: number,
    readonly dir: string,
    readonly secureClientPort: number | undefined = undefined,
  ) {
    this.endpoint = `127.0.0.1:${clientPort}`;
    this.secureEndpoint = secureClientPort === undefined ? undefined : `127.0.0.1:${secureClientPort}`;
    this.confDir = path.join(dir, 'conf');
    this.dataDir = path.join(dir, 'data');
    this.logFile = path.join(dir, 'zookeeper.log');
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** Exited without being asked to. */
  get crashed(): boolean {
    return this.process !== undefined && !this.process.running && !this.stopRequested;
  }
}

const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.Threshold=INFO
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n
`;

function parseMode(srvr: string): string | undefined {
  return /^Mode: (\S+)/m.exec(srvr)?.[1];
}

class ZkEnsemble implements Ensemble {
  readonly nodes: ZkNode[];
  readonly connectString: string;
  private stopped = false;
  readonly dir: string;

  constructor(
    private readonly workDir: HarnessDir,
    nodes: ZkNode[],
    private readonly options: Required<Pick<EnsembleOptions, 'fourLetterWhitelist' | 'reconfig' | 'tickTime' | 'log'>> &
      Pick<EnsembleOptions, 'extraConfig' | 'jvmArgs' | 'tls' | 'adminTls'>,
  ) {
    this.dir = workDir.path;
    this.nodes = nodes;
    this.connectString = nodes.map((n) => n.endpoint).join(',');
  }

  node(id: number): ZkNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no ZooKeeper node with id ${id} (ids: ${this.nodes.map((n) => n.id).join(', ')})`);
    return node;
  }

  private dynamicConfig(): string {
    return this.nodes.map((n) => `server.${n.id}=127.0.0.1:${n.quorumPort}:${n.electionPort}:${n.role};127.0.0.1:${n.clientPort}`).join('\n') + '\n';
  }

  private staticConfig(node: ZkNode): string {
    const cfg: Record<string, string | number | boolean> = {
      tickTime: this.options.tickTime,
      initLimit: 10,
      syncLimit: 5,
      dataDir: node.dataDir,
      dynamicConfigFile: path.join(node.confDir, 'zoo.cfg.dynamic'),
      standaloneEnabled: false,
      reconfigEnabled: this.options.reconfig,
      'admin.enableServer': true,
      'admin.serverAddress': '127.0.0.1',
      'admin.serverPort': node.adminPort,
      '4lw.commands.whitelist': this.options.fourLetterWhitelist,
      ...(this.options.reconfig ? { skipACL: 'yes' } : {}),
      ...(node.role === 'observer' ? { peerType: 'observer' } : {}),
      ...(this.options.tls && node.secureClientPort !== undefined ? tlsConfig(node.secureClientPort, this.options.tls) : {}),
      ...(this.options.adminTls ? adminTlsConfig(this.options.adminTls) : {}),
      ...this.options.extraConfig,
    };
    return (
      '# generated by the zkotel test harness\n' +
      Object.entries(cfg)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('\n') +
      '\n'
    );
  }

  /** (Re)writes the node's config files; ZooKeeper may have rewritten zoo.cfg and added zoo.cfg.dynamic.<version>. */
  async writeConfig(node: ZkNode): Promise<void> {
    await fsp.mkdir(node.confDir, { recursive: true });
    await fsp.mkdir(node.dataDir, { recursive: true });
    for (const name of await fsp.readdir(node.confDir)) {
      if (name.startsWith('zoo.cfg')) await fsp.rm(path.join(node.confDir, name), { force: true });
    }
    await fsp.writeFile(path.join(node.confDir, 'zoo.cfg'), this.staticConfig(node));
    await fsp.writeFile(path.join(node.confDir, 'zoo.cfg.dynamic'), this.dynamicConfig());
    await fsp.writeFile(path.join(node.confDir, 'log4j.properties'), LOG4J_PROPERTIES);
    await fsp.writeFile(path.join(node.dataDir, 'myid'), `${node.id}\n`);
  }

  spawnNode(node: ZkNode): void {
    const classpath = [...ZOOKEEPER_CLASSPATH, node.confDir].join(':');
    const args = [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      ...(this.options.jvmArgs ?? []),
      '-cp',
      classpath,
      `-Dlog4j.configuration=file:${path.join(node.confDir, 'log4j.properties')}`,
      `-Dzookeeper.log.dir=${node.dir}`,
      '-Dzookeeper.root.logger=INFO,CONSOLE',
      '-Djava.net.preferIPv4Stack=true',
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      path.join(node.confDir, 'zoo.cfg'),
    ];
    fs.appendFileSync(node.logFile, `==== zkotel harness: starting node ${node.id}: java ${args.join(' ')}\n`);
    node.stopRequested = false;
    node.process = spawnLogged('java', args, {
      logFile: node.logFile,
      cwd: node.dir,
      ...(this.options.log ? { echoPrefix: `[zk${node.id}]` } : {}),
    });
  }

  fourLetter(node: EnsembleNode | number, cmd: string, timeoutMs = 5000): Promise<string> {
    const n = typeof node === 'number' ? this.node(node) : node;
    return fourLetterWord('127.0.0.1', n.clientPort, cmd, timeoutMs);
  }

  logTail(id: number, lines = 30): string {
    return tailFile(this.node(id).logFile, lines);
  }

  private allTails(lines = 15): string {
    return this.nodes
      .filter((n) => n.process !== undefined)
      .map((n) => `--- node ${n.id} (${n.logFile}), last ${lines} lines:\n${tailFile(n.logFile, lines)}`)
      .join('\n');
  }

  async states(probeTimeoutMs = 2000): Promise<NodeState[]> {
    return Promise.all(
      this.nodes.map(async (n): Promise<NodeState> => {
        if (!n.running) return { id: n.id, running: false };
        const state: NodeState = { id: n.id, running: true };
        try {
          state.ruok = await this.fourLetter(n, 'ruok', probeTimeoutMs);
          const srvr = await this.fourLetter(n, 'srvr', probeTimeoutMs);
          state.mode = parseMode(srvr) ?? `(no mode: ${JSON.stringify(srvr.slice(0, 80))})`;
        } catch (err) {
          state.error = (err as Error).message;
        }
        return state;
      }),
    );
  }

  private crashMessage(): string | undefined {
    const crashed = this.nodes.filter((n) => n.crashed);
    if (crashed.length === 0) return undefined;
    return crashed.map((n) => `node ${n.id} exited unexpectedly (${JSON.stringify(n.process?.exitStatus)})`).join('; ');
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    let summary = '';
    await pollUntil(
      async () => {
        const running = this.nodes.filter((n) => n.running);
        if (running.length === 0) throw new Error('no node is running');
        const states = (await this.states()).filter((s) => s.running);
        summary = states.map((s) => `${s.id}:${s.error ? 'error' : `${s.ruok ?? '?'}/${s.mode ?? '?'}`}`).join(' ');
        if (states.some((s) => s.ruok !== 'imok')) return false;
        const leaders = states.filter((s) => s.mode === 'leader' || s.mode === 'standalone');
        const others = states.filter((s) => s.mode === 'follower' || s.mode === 'observer');
        return leaders.length === 1 && leaders.length + others.length === states.length;
      },
      {
        timeoutMs,
        what: 'ZooKeeper ensemble readiness',
        abort: () => this.crashMessage(),
        context: () => `node states: ${summary}\n${this.allTails()}`,
      },
    );
  }

  async leader(): Promise<ZkNode> {
    const states = await this.states();
    const leaders = states.filter((s) => s.running && (s.mode === 'leader' || s.mode === 'standalone'));
    if (leaders.length !== 1 || leaders[0] === undefined) {
      throw new Error(`expected exactly one leader, states: ${JSON.stringify(states)}`);
    }
    return this.node(leaders[0].id);
  }

  async stopNode(id: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.node(id);
    if (!node.process || !node.running) return;
    node.stopRequested = true;
    await node.process.stop(signal, 10_000);
  }

  async startNode(id: number): Promise<void> {
    if (this.stopped) throw new Error('ensemble already stopped');
    const node = this.node(id);
    if (node.running) throw new Error(`node ${id} is already running (pid ${node.pid})`);
    await this.writeConfig(node);
    this.spawnNode(node);
  }

  pauseNode(id: number): void {
    this.node(id).process?.signal('SIGSTOP');
  }

  resumeNode(id: number): void {
    this.node(id).process?.signal('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        if (!n.process || !n.running) return;
        n.stopRequested = true;
        n.process.signal('SIGCONT'); // a paused JVM cannot handle SIGTERM
        await n.process.stop('SIGTERM', 10_000);
      }),
    );
    await this.workDir.remove();
  }
}

/** Starts the nodes (does not wait for readiness: call waitReady()). */
export async function startEnsemble(options: EnsembleOptions = {}): Promise<Ensemble> {
  const size = options.size ?? 3;
  const observers = options.observers ?? 0;
  if (!Number.isInteger(size) || size < 1) throw new Error(`startEnsemble: bad size ${size}`);
  if (observers < 0 || observers >= size) throw new Error(`startEnsemble: bad observer count ${observers} for size ${size}`);
  for (const jar of ZOOKEEPER_CLASSPATH) {
    if (!fs.existsSync(jar)) throw new Error(`startEnsemble: ${jar} is missing: run bash scripts/setup.sh`);
  }
  const workDir = await harnessDir('zkotel-zk-', { keep: options.keepDir, parent: options.workDir });
  const dir = workDir.path;
  const given = options.clientPorts ?? [];
  const needed = size * (options.tls ? 4 : 3) + Math.max(0, size - given.length);
  const pool = await freePorts(needed);
  let next = 0;
  const take = (): number => {
    const port = pool[next++];
    if (port === undefined) throw new Error('startEnsemble: port pool exhausted');
    return port;
  };
  const nodes: ZkNode[] = [];
  for (let i = 0; i < size; i++) {
    const id = i + 1;
    const role: ZkRole = i >= size - observers ? 'observer' : 'participant';
    const clientPort = given[i] ?? take();
    nodes.push(new ZkNode(id, role, clientPort, take(), take(), take(), path.join(dir, `node${id}`), options.tls ? take() : undefined));
  }
  const ensemble = new ZkEnsemble(workDir, nodes, {
    fourLetterWhitelist: options.fourLetterWhitelist ?? '*',
    reconfig: options.reconfig ?? false,
    tickTime: options.tickTime ?? 2000,
    log: options.log ?? process.env.ZKOTEL_HARNESS_LOG === '1',
    extraConfig: options.extraConfig,
    jvmArgs: options.jvmArgs,
    tls: options.tls,
    adminTls: options.adminTls,
  });
  try {
    for (const node of nodes) {
      await ensemble.writeConfig(node);
      ensemble.spawnNode(node);
    }
  } catch (err) {
    await ensemble.stop();
    throw err;
  }
  return ensemble;
}

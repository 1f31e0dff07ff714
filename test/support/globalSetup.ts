/**
 * Fails the run at once, with the command to fix it, when a service the tests
 * need is down — instead of a hundred timeouts.
 */
import net from 'node:net';

const services = [
  {
    name: 'Redis',
    port: 6379,
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
  {
    name: 'PostgreSQL',
    port: 5432,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
];

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export default async function setup() {
  for (const service of services) {
    if (!(await reachable(service.port))) {
      throw new Error(
        `${service.name} is not running on 127.0.0.1:${service.port}; start it with: ${service.start}`,
      );
    }
  }
}

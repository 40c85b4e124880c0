/** Whether a process with this id is running (EPERM: it runs, as another user). Used to tell a live owner from a crashed one. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

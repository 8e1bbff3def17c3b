/** Jest global teardown: stops the run's dev server (global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__temporalDevServer?.stop();
}

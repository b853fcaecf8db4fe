/**
 * What the browser tests share: opening the panel, running commands, switching
 * themes, keeping screenshots, and stopping pools a failed test left behind.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Page, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const API = '/jasmin/api';
/** Where the screenshots are copied for people to look at (git-ignored). */
export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

/** The JASMIN panel, opened from its tab in the left sidebar. */
export async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.getByRole('tab', { name: 'JASMIN' }).click();
  const panel = page.locator('#jasmin-panel');
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'JASMIN' })).toBeVisible();
  return panel;
}

/** Stop every pool left on the server (after a failed step, say). */
export async function stopAllPools(page: Page): Promise<void> {
  const response = await page.request.get(`${API}/clusters`);
  const { clusters } = (await response.json()) as { clusters: { id: string }[] };
  for (const pool of clusters) {
    await page.request.delete(`${API}/clusters/${pool.id}`);
  }
}

export async function runCommand(
  page: IJupyterLabPageFixture,
  command: string,
  args: Record<string, unknown> = {}
): Promise<void> {
  await page.evaluate(
    async ({ command, args }) => {
      await window.jupyterapp.commands.execute(command, args);
    },
    { command, args }
  );
}

/** Switch theme and wait until the splash screen shown meanwhile has gone. */
export async function setTheme(page: IJupyterLabPageFixture, theme: string): Promise<void> {
  await runCommand(page, 'apputils:change-theme', { theme });
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-name', theme);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0);
}

/** A screenshot of an element, kept as a test artefact and copied to artifacts/. */
export async function snapshot(target: Locator, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(name);
  await target.screenshot({ path: file, animations: 'disabled' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.copyFileSync(file, path.join(ARTIFACTS, name));
}

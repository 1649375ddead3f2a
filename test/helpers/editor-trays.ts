/**
 * Knowing when a Node-RED edit dialog (a "tray") has finished opening.
 *
 * The tray slides in over several timers and, at the end, moves the keyboard focus to its first field. Keys typed
 * before that land in the field the test chose; the rest follow the focus into another one (seen on a loaded CI
 * machine: "Cha" in one rule, "rgerOpModeX" elsewhere). Waiting for the field to exist or stand still is not
 * enough, so the page counts the trays whose `show` step, the one that precedes the focus in the same task, has run.
 */
import type { Page } from "playwright-core";

interface TrayOptions {
  show?: (this: TrayOptions) => void;
}
interface TrayWindow {
  RED: { tray: { show(this: unknown, options?: TrayOptions): void } };
  easeeTraysShown?: number;
}

/** Starts counting finished tray openings in the page; call once the editor has loaded. */
export async function watchTrays(page: Page): Promise<void> {
  await page.evaluate(() => {
    const win = window as unknown as TrayWindow;
    if (win.easeeTraysShown !== undefined) return;
    win.easeeTraysShown = 0;
    const original = win.RED.tray.show;
    win.RED.tray.show = function (options) {
      if (options) {
        const whenShown = options.show;
        options.show = function () {
          whenShown?.call(this);
          win.easeeTraysShown = (win.easeeTraysShown ?? 0) + 1;
        };
      }
      original.call(this, options);
    };
  });
}

/** Runs `open` (a double click, a pencil button, RED.editor.edit) and resolves once the tray it opens has its focus. */
export async function openTray(page: Page, open: () => Promise<void>): Promise<void> {
  const before = await page.evaluate(() => (window as unknown as TrayWindow).easeeTraysShown);
  if (before === undefined) throw new Error("watchTrays(page) was not called");
  await open();
  await page.waitForFunction((count) => ((window as unknown as TrayWindow).easeeTraysShown ?? 0) > count, before);
}

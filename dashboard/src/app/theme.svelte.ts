export type ThemeName = 'dark' | 'light';
const KEY = 'tickstream.theme';

/** Dark or light: follows prefers-color-scheme until the user picks one, then remembers it. */
class Theme {
  current = $state<ThemeName>(document.documentElement.dataset.theme === 'light' ? 'light' : 'dark');

  toggle(): void {
    this.set(this.current === 'dark' ? 'light' : 'dark');
  }

  set(name: ThemeName): void {
    this.current = name;
    document.documentElement.dataset.theme = name;
    try {
      localStorage.setItem(KEY, name);
    } catch {
      // Private mode without storage: the choice lasts for this page only.
    }
  }
}

export const theme = new Theme();

/** A CSS custom property of the current theme as a 0xRRGGBB number, for Pixi. */
export function cssColor(name: string): number {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const hex = /^#([0-9a-f]{6})$/i.exec(value);
  return hex ? Number.parseInt(hex[1] as string, 16) : 0x808080;
}

export const prefersReducedMotion = (): boolean => matchMedia('(prefers-reduced-motion: reduce)').matches;

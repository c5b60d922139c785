import { Application, type ColorSource, ParticleContainer, Ticker } from 'pixi.js';
import { GlyphAtlas } from './glyph-atlas.js';

/** Drawing resolution: the screen's pixel ratio, capped at 2 (more costs fill rate, shows nothing). */
export function drawingResolution(): number {
  return Math.min(2, globalThis.devicePixelRatio || 1);
}

/**
 * Pixi's system ticker runs every renderer's housekeeping (the texture and renderable garbage
 * collectors, the event system's hover checks) and starts itself, and with it a
 * requestAnimationFrame loop, as soon as the first renderer is created: an idle page then
 * woke up every frame for nothing. It is stopped here before any renderer exists, and
 * drawPixi() runs that housekeeping on the frames a view draws, the only frames that make
 * garbage.
 */
function stopSystemTicker(): void {
  Ticker.system.autoStart = false;
  Ticker.system.stop();
}

/** Draws a view's stage now, then runs Pixi's housekeeping (see stopSystemTicker). */
export function drawPixi(app: Application): void {
  app.render();
  Ticker.system.update();
}

/**
 * A Pixi application for one view, drawing only when the engine's frame loop asks: its own
 * ticker is stopped, so a view with nothing new costs nothing (autoStart false alone still
 * lets a later ticker start draw every frame).
 */
export async function createPixiApp(
  width: number,
  height: number,
  background: ColorSource,
  { antialias = false }: { antialias?: boolean } = {},
): Promise<Application> {
  stopSystemTicker();
  const app = new Application();
  await app.init({
    preference: 'webgl',
    width,
    height,
    resolution: drawingResolution(),
    autoDensity: true,
    autoStart: false,
    antialias,
    background,
  });
  app.ticker.stop();
  // init() may have started it again (a renderer's scheduler adds itself as a listener).
  stopSystemTicker();
  return app;
}

/** createPixiApp plus the glyph atlas its text is drawn with, at the app's resolution. */
export async function createTextSurface(
  width: number,
  height: number,
  background: ColorSource,
  fontPx: number,
): Promise<{ app: Application; atlas: GlyphAtlas }> {
  const app = await createPixiApp(width, height, background);
  return { app, atlas: new GlyphAtlas(fontPx, drawingResolution()) };
}

/**
 * A layer of glyph particles (all sharing the atlas's texture source, as a ParticleContainer
 * needs) whose positions, frames and colours change as the view redraws.
 */
export function glyphLayer(atlas: GlyphAtlas, { movable = true }: { movable?: boolean } = {}): ParticleContainer {
  return new ParticleContainer({
    texture: atlas.block,
    // Whole pixels: a glyph sampled nearest must land on the pixel grid.
    roundPixels: true,
    dynamicProperties: { position: movable, vertex: false, rotation: false, uvs: true, color: true },
  });
}

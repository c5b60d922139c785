import { type Engine, PHASE_LABEL } from '../engine/index.js';

interface HaltShown {
  symbol: string;
  sinceUs: number;
  source: string;
  detail: string;
}

/** The trading session and the halted symbols as people read them (the engine's MarketStatus). */
class Market {
  phase = $state('');
  detail = $state('');
  sinceUs = $state(0);
  halted = $state.raw<HaltShown[]>([]);
  /** A replay is shown: the session and halts here are the live market's, not the replay's. */
  replaying = $state(false);

  get label(): string {
    return PHASE_LABEL[this.phase] ?? this.phase;
  }

  /** The symbol's halt to show over the market shown: none over a replay (halts are live only). */
  haltShown(symbol: string): HaltShown | undefined {
    return this.replaying ? undefined : this.halted.find((halt) => halt.symbol === symbol);
  }

  bind(engine: Engine): () => void {
    const offs = [
      engine.on('market', (status) => {
        this.phase = status.phase;
        this.detail = status.detail;
        this.sinceUs = status.sinceUs;
        this.halted = [...status.halted.values()].sort((a, b) => b.sinceUs - a.sinceUs);
      }),
      engine.on('replay', (replay) => {
        this.replaying = replay !== null;
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}

export const market = new Market();

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

  get label(): string {
    return PHASE_LABEL[this.phase] ?? this.phase;
  }

  bind(engine: Engine): () => void {
    return engine.on('market', (status) => {
      this.phase = status.phase;
      this.detail = status.detail;
      this.sinceUs = status.sinceUs;
      this.halted = [...status.halted.values()].sort((a, b) => b.sinceUs - a.sinceUs);
    });
  }
}

export const market = new Market();

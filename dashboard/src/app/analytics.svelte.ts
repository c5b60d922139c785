import type { AnalyticsStatusView, Engine } from '../engine/index.js';
import { activity } from './activity.svelte.js';

/** What people read about the analytics job: online, or offline and why (the edge judges it). */
class Analytics {
  status = $state.raw<AnalyticsStatusView>({ state: 'Unknown', detail: 'connecting', lagMs: -1 });

  /** Offline covers "never ran": either way nothing from the job is shown, and nothing is invented. */
  get offline(): boolean {
    return this.status.state === 'Offline' || this.status.state === 'NeverRan';
  }

  get label(): string {
    return this.status.state === 'Online' ? 'analytics online' : this.offline ? 'analytics offline' : 'analytics …';
  }

  bind(engine: Engine): () => void {
    return engine.on('analytics', (status) => {
      if (status.state !== this.status.state)
        activity.add({ atMs: Date.now(), kind: 'connection', message: `${this.labelOf(status)}: ${status.detail}` });
      this.status = status;
    });
  }

  private labelOf(status: AnalyticsStatusView): string {
    return status.state === 'Online' ? 'analytics online' : 'analytics offline';
  }
}

export const analytics = new Analytics();

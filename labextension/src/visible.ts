/**
 * A React widget whose refreshing runs only while it is visible: hidden panels and
 * background tabs do not poll the server.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

import { loadTrans } from './translation';

export abstract class WhileVisibleWidget extends ReactWidget {
  /** `trans`: the bundle its strings are translated with (English without). */
  constructor(trans?: TranslationBundle) {
    super();
    this.trans = trans ?? loadTrans();
  }

  /** The bundle the widget's strings are translated with. */
  readonly trans: TranslationBundle;

  /** Start (or restart) refreshing: the widget is now on screen. */
  protected abstract resumeRefresh(): void;

  /** Stop refreshing: the widget is hidden or detached. */
  protected abstract pauseRefresh(): void;

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.resumeRefresh();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.resumeRefresh();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.pauseRefresh();
  }

  protected onBeforeDetach(msg: Message): void {
    this.pauseRefresh();
    super.onBeforeDetach(msg);
  }
}

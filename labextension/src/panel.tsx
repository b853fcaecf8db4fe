/**
 * The JASMIN side panel: a header and collapsible sections ("Engine pools"
 * and "Holdings"; others can be added beside them with `addSection`).
 *
 * Sections are sized to their content, and the one in use (the last one
 * focused or expanded) is given the rest of the height, so a short section
 * never takes half the sidebar from a long one. JupyterLab's shell remembers
 * which sections are collapsed and their sizes (`ILayoutRestorer`).
 */
import { ITranslator } from '@jupyterlab/translation';
import {
  SidePanel,
  Toolbar,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';

import { jasminIcon } from './icon';
import { loadTrans } from './translation';
import { MIN_SECTION_HEIGHT, shareHeight } from './sizing';

/** A section of the panel: a widget with a title, and optionally a toolbar. */
export interface IJasminSection extends Widget {
  /** Buttons shown in the section's title bar. */
  toolbar?: Toolbar;
  /** Fetch what the section shows, now. */
  refresh?(): Promise<void>;
}

export class JasminPanel extends SidePanel {
  constructor(translator?: ITranslator | null) {
    super({ translator: translator ?? undefined });
    const trans = loadTrans(translator);
    this.id = 'jasmin-panel';
    this.addClass('jp-JasminPanel');
    this.title.icon = jasminIcon;
    this.title.caption = trans.__('JASMIN');

    const heading = new Widget({ node: document.createElement('h2') });
    heading.node.textContent = trans.__('JASMIN');
    heading.addClass('jp-JasminPanel-title');
    this.header.addWidget(heading);

    const content = this.content;
    if (content instanceof AccordionPanel) {
      content.expansionToggled.connect((_, index) => {
        if (!content.widgets[index]?.isHidden) {
          this._active = content.widgets[index] as IJasminSection;
        }
        this.fitSections();
      });
    }
    this.node.addEventListener('focusin', this._onFocus);
    this.node.addEventListener('pointerdown', this._onPointerDown);
  }

  /** The section in use: given what the others leave. */
  get activeSection(): IJasminSection | null {
    return this._active;
  }

  /**
   * Size the expanded sections: the section in use (or the first) to its
   * content, leaving the others at least a few lines each; the others share
   * what is left, each at most its content (the smallest served first); any
   * height still left goes to the section in use.
   */
  fitSections(): void {
    const content = this.content;
    if (!(content instanceof AccordionPanel) || !this.isVisible) {
      return;
    }
    const sections = this.sections;
    const open = sections.filter(section => !section.isHidden);
    const active =
      this._active && open.includes(this._active) ? this._active : open[0];
    const available = open.reduce(
      (height, section) => height + section.node.offsetHeight,
      0
    );
    if (!active || available <= 0) {
      return;
    }
    const others = open.filter(section => section !== active);
    const floor = Math.min(MIN_SECTION_HEIGHT, available / open.length);
    const activeHeight = Math.max(
      Math.min(contentHeight(active), available - floor * others.length),
      available / open.length
    );
    const heights = shareHeight(
      others.map(section => contentHeight(section)),
      available - activeHeight,
      floor
    );
    const given = heights.reduce((sum, height) => sum + height, 0);
    const sizes = sections.map(section => {
      const index = others.indexOf(section);
      if (section === active) {
        return available - given;
      }
      return index >= 0 ? heights[index] : 0;
    });
    content.setRelativeSizes(sizes);
  }

  /** The sections, in order. */
  get sections(): readonly IJasminSection[] {
    return this.widgets as readonly IJasminSection[];
  }

  /** Add a section below the others. */
  addSection(section: IJasminSection): void {
    this.addWidget(section);
  }

  dispose(): void {
    this.node.removeEventListener('focusin', this._onFocus);
    this.node.removeEventListener('pointerdown', this._onPointerDown);
    document.removeEventListener('pointerup', this._onPointerUp, true);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    requestAnimationFrame(() => this.fitSections());
  }

  /**
   * Focus moved into a section: it is the one in use now. A click is let finish
   * first: resizing between its press and its release would move what was
   * pressed from under the pointer, and the click would be lost.
   */
  private _onFocus = (event: FocusEvent): void => {
    const section = this.sections.find(s =>
      s.node.contains(event.target as Node)
    );
    if (section && section !== this._active) {
      this._active = section;
      if (this._pressing) {
        this._fitOnRelease = true;
      } else {
        this.fitSections();
      }
    }
  };

  private _onPointerDown = (): void => {
    this._pressing = true;
    document.addEventListener('pointerup', this._onPointerUp, true);
  };

  private _onPointerUp = (): void => {
    document.removeEventListener('pointerup', this._onPointerUp, true);
    // after the click that this release completes
    setTimeout(() => {
      this._pressing = false;
      // only when the press moved into another section: a dragged splitter stays
      if (this._fitOnRelease) {
        this._fitOnRelease = false;
        this.fitSections();
      }
    }, 0);
  };

  private _pressing = false;
  private _fitOnRelease = false;

  private _active: IJasminSection | null = null;

  /** Expand a section if it is collapsed. */
  expandSection(section: IJasminSection): void {
    const index = this.sections.indexOf(section);
    const content = this.content;
    if (index >= 0 && content instanceof AccordionPanel && section.isHidden) {
      content.expand(index);
    }
    this._active = section;
    this.fitSections();
  }

  /** Refresh every section. */
  async refresh(): Promise<void> {
    await Promise.all(this.sections.map(section => section.refresh?.()));
  }
}

/** The height a section's content needs (its children, whatever its own box). */
function contentHeight(section: Widget): number {
  const style = getComputedStyle(section.node);
  const padding =
    parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  return Array.from(section.node.children).reduce(
    (height, child) => height + (child as HTMLElement).offsetHeight,
    padding || 0
  );
}

/** A section's title-bar toolbar, with the button that refreshes it. */
export function refreshToolbar(
  tooltip: string,
  refresh: () => Promise<void>
): Toolbar {
  const toolbar = new Toolbar();
  toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip,
      onClick: () => void refresh()
    })
  );
  return toolbar;
}

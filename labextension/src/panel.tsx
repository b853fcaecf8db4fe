/**
 * The JASMIN side panel: a header and collapsible sections ("Engine pools"
 * and "Holdings"; others can be added beside them with `addSection`).
 */
import {
  SidePanel,
  Toolbar,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';
import { AccordionPanel, Widget } from '@lumino/widgets';

import { jasminIcon } from './icon';

/** A section of the panel: a widget with a title, and optionally a toolbar. */
export interface IJasminSection extends Widget {
  /** Buttons shown in the section's title bar. */
  toolbar?: Toolbar;
  /** Fetch what the section shows, now. */
  refresh?(): Promise<void>;
}

export class JasminPanel extends SidePanel {
  constructor() {
    super();
    this.id = 'jasmin-panel';
    this.addClass('jp-JasminPanel');
    this.title.icon = jasminIcon;
    this.title.caption = 'JASMIN';

    const heading = new Widget({ node: document.createElement('h2') });
    heading.node.textContent = 'JASMIN';
    heading.addClass('jp-JasminPanel-title');
    this.header.addWidget(heading);
  }

  /** The sections, in order. */
  get sections(): readonly IJasminSection[] {
    return this.widgets as readonly IJasminSection[];
  }

  /** Add a section below the others. */
  addSection(section: IJasminSection): void {
    this.addWidget(section);
  }

  /** Expand a section if it is collapsed. */
  expandSection(section: IJasminSection): void {
    const index = this.sections.indexOf(section);
    const content = this.content;
    if (index >= 0 && content instanceof AccordionPanel && section.isHidden) {
      content.expand(index);
    }
  }

  /** Refresh every section. */
  async refresh(): Promise<void> {
    await Promise.all(this.sections.map(section => section.refresh?.()));
  }
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

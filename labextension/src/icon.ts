/** The JASMIN icon: a five-petalled jasmine flower, coloured by the theme. */
import { LabIcon } from '@jupyterlab/ui-components';

const petal = (angle: number): string =>
  `<ellipse cx="12" cy="6.6" rx="3.1" ry="5" transform="rotate(${angle} 12 12)"/>`;

const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    ${[0, 72, 144, 216, 288].map(petal).join('')}
  </g>
  <circle class="jp-icon-accent0" fill="#fff" cx="12" cy="12" r="2.4"/>
</svg>`;

export const jasminIcon = new LabIcon({
  name: 'jupyter-jasmin:jasmin',
  svgstr
});

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-jasmin:plugin',
  description: 'JASMIN sidebar',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('jupyter-jasmin activated', app.name);
  }
};

export default plugin;

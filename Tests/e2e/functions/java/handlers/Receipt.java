package example;

import java.util.List;

/** A POJO output: public fields and getters; a null member is left out of the JSON. */
public class Receipt {
    public String orderId;
    public double total;
    public List<String> skus;
    public String note;
    private boolean express;

    public boolean isExpress() { return express; }
    public void setExpress(boolean express) { this.express = express; }
}

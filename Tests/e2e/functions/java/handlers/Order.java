package example;

import java.util.List;

/** A POJO input: bean properties, a list of nested POJOs, a primitive and an is-getter. */
public class Order {
    private String id;
    private int quantity;
    private boolean express;
    private List<Item> items;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public int getQuantity() { return quantity; }
    public void setQuantity(int quantity) { this.quantity = quantity; }
    public boolean isExpress() { return express; }
    public void setExpress(boolean express) { this.express = express; }
    public List<Item> getItems() { return items; }
    public void setItems(List<Item> items) { this.items = items; }

    public static class Item {
        private String sku;
        private double price;

        public String getSku() { return sku; }
        public void setSku(String sku) { this.sku = sku; }
        public double getPrice() { return price; }
        public void setPrice(double price) { this.price = price; }
    }
}
